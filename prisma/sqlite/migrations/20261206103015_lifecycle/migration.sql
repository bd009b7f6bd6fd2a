-- AlterTable
ALTER TABLE "Upload" ADD COLUMN "leaseUntil" DATETIME;

-- CreateTable
CREATE TABLE "ManifestChild" (
    "parentId" INTEGER NOT NULL,
    "childId" INTEGER NOT NULL,

    PRIMARY KEY ("parentId", "childId"),
    CONSTRAINT "ManifestChild_parentId_fkey" FOREIGN KEY ("parentId") REFERENCES "Manifest" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "ManifestChild_childId_fkey" FOREIGN KEY ("childId") REFERENCES "Manifest" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ObjectTombstone" (
    "objectKey" TEXT NOT NULL PRIMARY KEY,
    "size" BIGINT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "MultipartUpload" (
    "uploadId" TEXT NOT NULL PRIMARY KEY,
    "objectKey" TEXT NOT NULL,
    "ownerId" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "GcRun" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "dryRun" BOOLEAN NOT NULL,
    "trigger" TEXT NOT NULL,
    "actor" TEXT,
    "state" TEXT NOT NULL,
    "startedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" DATETIME,
    "manifestsDeleted" INTEGER NOT NULL DEFAULT 0,
    "linksDeleted" INTEGER NOT NULL DEFAULT 0,
    "blobsDeleted" INTEGER NOT NULL DEFAULT 0,
    "objectsDeleted" INTEGER NOT NULL DEFAULT 0,
    "bytesFreed" BIGINT NOT NULL DEFAULT 0,
    "result" TEXT,
    "error" TEXT
);

-- CreateTable
CREATE TABLE "RetentionPolicy" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "organizationId" INTEGER,
    "repository" TEXT,
    "keepLatest" INTEGER,
    "keepPattern" TEXT,
    "untaggedDays" INTEGER,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Lease" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "holder" TEXT NOT NULL,
    "until" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "LocalJob" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "singletonKey" TEXT,
    "data" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "retryCount" INTEGER NOT NULL DEFAULT 0,
    "retryLimit" INTEGER NOT NULL DEFAULT 3,
    "retryDelay" INTEGER NOT NULL DEFAULT 5,
    "startAfter" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "leaseUntil" DATETIME,
    "output" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" DATETIME,
    "completedAt" DATETIME
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_RepositoryBlob" (
    "repositoryId" INTEGER NOT NULL,
    "digest" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "touchedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("repositoryId", "digest"),
    CONSTRAINT "RepositoryBlob_repositoryId_fkey" FOREIGN KEY ("repositoryId") REFERENCES "Repository" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "RepositoryBlob_digest_fkey" FOREIGN KEY ("digest") REFERENCES "Blob" ("digest") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_RepositoryBlob" ("createdAt", "digest", "repositoryId") SELECT "createdAt", "digest", "repositoryId" FROM "RepositoryBlob";
DROP TABLE "RepositoryBlob";
ALTER TABLE "new_RepositoryBlob" RENAME TO "RepositoryBlob";
CREATE INDEX "RepositoryBlob_digest_idx" ON "RepositoryBlob"("digest");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

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

-- Backfill: the children of image indexes stored before this migration
INSERT OR IGNORE INTO "ManifestChild" ("parentId", "childId")
SELECT p."id", c."id"
FROM "Manifest" p, json_each(CAST(p."content" AS TEXT), '$.manifests') e
JOIN "Manifest" c ON c."repositoryId" = p."repositoryId" AND c."digest" = json_extract(e.value, '$.digest')
WHERE p."mediaType" IN ('application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json');
