/** @type {import('next').NextConfig} */
const nextConfig = {
  // /v2/ and /api/ are served by plain Node handlers in server.ts; registry clients must not be redirected.
  skipTrailingSlashRedirect: true,
  poweredByHeader: false,
  reactStrictMode: true,
  typescript: { ignoreBuildErrors: false },
  // `npm test` builds into its own folder (.next-test) so that it never replaces the build that a
  // running `npm start` in the same checkout serves from .next.
  distDir: process.env.STOWAGE_NEXT_DIST_DIR || '.next',
}

export default nextConfig
