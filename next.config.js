/** @type {import('next').NextConfig} */
const nextConfig = {
  // /v2/ and /api/ are served by plain Node handlers in server.ts; registry clients must not be redirected.
  skipTrailingSlashRedirect: true,
  poweredByHeader: false,
  reactStrictMode: true,
  // `npm test` type-checks the whole project with tsc itself right after its build (scripts/test.mjs)
  typescript: { ignoreBuildErrors: process.env.STOWAGE_BUILD_TYPECHECK === '0' },
  // `npm test` builds into its own folder (.next-test) so that it never replaces the build that a
  // running `npm start` in the same checkout serves from .next.
  distDir: process.env.STOWAGE_NEXT_DIST_DIR || '.next',
}

export default nextConfig
