-- AlterTable
ALTER TABLE "RepositoryBlob" ADD COLUMN     "touchedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- AlterTable
ALTER TABLE "Upload" ADD COLUMN     "leaseUntil" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "ManifestChild" (
    "parentId" INTEGER NOT NULL,
    "childId" INTEGER NOT NULL,

    CONSTRAINT "ManifestChild_pkey" PRIMARY KEY ("parentId","childId")
);

-- CreateTable
CREATE TABLE "ObjectTombstone" (
    "objectKey" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ObjectTombstone_pkey" PRIMARY KEY ("objectKey")
);

-- CreateTable
CREATE TABLE "MultipartUpload" (
    "uploadId" TEXT NOT NULL,
    "objectKey" TEXT NOT NULL,
    "ownerId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "MultipartUpload_pkey" PRIMARY KEY ("uploadId")
);

-- CreateTable
CREATE TABLE "GcRun" (
    "id" SERIAL NOT NULL,
    "dryRun" BOOLEAN NOT NULL,
    "trigger" TEXT NOT NULL,
    "actor" TEXT,
    "state" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),
    "manifestsDeleted" INTEGER NOT NULL DEFAULT 0,
    "linksDeleted" INTEGER NOT NULL DEFAULT 0,
    "blobsDeleted" INTEGER NOT NULL DEFAULT 0,
    "objectsDeleted" INTEGER NOT NULL DEFAULT 0,
    "bytesFreed" BIGINT NOT NULL DEFAULT 0,
    "result" TEXT,
    "error" TEXT,

    CONSTRAINT "GcRun_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RetentionPolicy" (
    "id" SERIAL NOT NULL,
    "organizationId" INTEGER,
    "repository" TEXT,
    "keepLatest" INTEGER,
    "keepPattern" TEXT,
    "untaggedDays" INTEGER,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "RetentionPolicy_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Lease" (
    "name" TEXT NOT NULL,
    "holder" TEXT NOT NULL,
    "until" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Lease_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "LocalJob" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "singletonKey" TEXT,
    "data" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "retryCount" INTEGER NOT NULL DEFAULT 0,
    "retryLimit" INTEGER NOT NULL DEFAULT 3,
    "retryDelay" INTEGER NOT NULL DEFAULT 5,
    "startAfter" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "leaseUntil" TIMESTAMP(3),
    "output" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "completedAt" TIMESTAMP(3),

    CONSTRAINT "LocalJob_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ManifestChild_childId_idx" ON "ManifestChild"("childId");

-- CreateIndex
CREATE INDEX "MultipartUpload_ownerId_idx" ON "MultipartUpload"("ownerId");

-- CreateIndex
CREATE INDEX "MultipartUpload_createdAt_idx" ON "MultipartUpload"("createdAt");

-- CreateIndex
CREATE INDEX "GcRun_startedAt_idx" ON "GcRun"("startedAt");

-- CreateIndex
CREATE UNIQUE INDEX "RetentionPolicy_organizationId_key" ON "RetentionPolicy"("organizationId");

-- CreateIndex
CREATE UNIQUE INDEX "RetentionPolicy_repository_key" ON "RetentionPolicy"("repository");

-- CreateIndex
CREATE INDEX "LocalJob_name_state_startAfter_idx" ON "LocalJob"("name", "state", "startAfter");

-- CreateIndex
CREATE INDEX "LocalJob_singletonKey_idx" ON "LocalJob"("singletonKey");

-- CreateIndex
CREATE INDEX "TagEvent_repositoryId_manifestDigest_idx" ON "TagEvent"("repositoryId", "manifestDigest");

-- AddForeignKey
ALTER TABLE "ManifestChild" ADD CONSTRAINT "ManifestChild_parentId_fkey" FOREIGN KEY ("parentId") REFERENCES "Manifest"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ManifestChild" ADD CONSTRAINT "ManifestChild_childId_fkey" FOREIGN KEY ("childId") REFERENCES "Manifest"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Backfill: the children of image indexes stored before this migration
INSERT INTO "ManifestChild" ("parentId", "childId")
SELECT DISTINCT p."id", c."id"
FROM "Manifest" p
CROSS JOIN LATERAL jsonb_array_elements(convert_from(p."content", 'UTF8')::jsonb -> 'manifests') e
JOIN "Manifest" c ON c."repositoryId" = p."repositoryId" AND c."digest" = e.value ->> 'digest'
WHERE p."mediaType" IN ('application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json')
ON CONFLICT DO NOTHING;
