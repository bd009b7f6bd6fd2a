/** @type {import('next').NextConfig} */
const nextConfig = {
  // /v2/ and /api/ are served by plain Node handlers in server.ts; registry clients must not be redirected.
  skipTrailingSlashRedirect: true,
  poweredByHeader: false,
  reactStrictMode: true,
  typescript: { ignoreBuildErrors: false },
}

export default nextConfig
