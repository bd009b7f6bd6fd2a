-- CreateTable
CREATE TABLE "Repository" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "name" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "Blob" (
    "digest" TEXT NOT NULL PRIMARY KEY,
    "objectKey" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "mediaType" TEXT,
    "uncompressedSize" BIGINT,
    "compressedSize" BIGINT,
    "sourceDigest" TEXT,
    "analysisState" TEXT NOT NULL DEFAULT 'pending',
    "analysisError" TEXT,
    "analysisLeaseUntil" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "RepositoryBlob" (
    "repositoryId" INTEGER NOT NULL,
    "digest" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("repositoryId", "digest"),
    CONSTRAINT "RepositoryBlob_repositoryId_fkey" FOREIGN KEY ("repositoryId") REFERENCES "Repository" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "RepositoryBlob_digest_fkey" FOREIGN KEY ("digest") REFERENCES "Blob" ("digest") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Manifest" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "repositoryId" INTEGER NOT NULL,
    "digest" TEXT NOT NULL,
    "mediaType" TEXT NOT NULL,
    "content" BLOB NOT NULL,
    "configDigest" TEXT,
    "artifactType" TEXT,
    "subjectDigest" TEXT,
    "os" TEXT,
    "architecture" TEXT,
    "variant" TEXT,
    "packedSize" BIGINT,
    "uploadId" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Manifest_repositoryId_fkey" FOREIGN KEY ("repositoryId") REFERENCES "Repository" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ManifestBlob" (
    "manifestId" INTEGER NOT NULL,
    "position" INTEGER NOT NULL,
    "digest" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "packedSize" BIGINT,

    PRIMARY KEY ("manifestId", "position"),
    CONSTRAINT "ManifestBlob_manifestId_fkey" FOREIGN KEY ("manifestId") REFERENCES "Manifest" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "ManifestBlob_digest_fkey" FOREIGN KEY ("digest") REFERENCES "Blob" ("digest") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Tag" (
    "repositoryId" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "manifestId" INTEGER NOT NULL,
    "updatedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("repositoryId", "name"),
    CONSTRAINT "Tag_repositoryId_fkey" FOREIGN KEY ("repositoryId") REFERENCES "Repository" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Tag_manifestId_fkey" FOREIGN KEY ("manifestId") REFERENCES "Manifest" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "TagEvent" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "repositoryId" INTEGER NOT NULL,
    "tag" TEXT NOT NULL,
    "manifestDigest" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "uploadId" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "TagEvent_repositoryId_fkey" FOREIGN KEY ("repositoryId") REFERENCES "Repository" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Upload" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "state" TEXT NOT NULL,
    "filename" TEXT,
    "receivedBytes" BIGINT NOT NULL DEFAULT 0,
    "errorCode" TEXT,
    "errorMessage" TEXT,
    "result" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" DATETIME
);

-- CreateTable
CREATE TABLE "StagedObject" (
    "objectKey" TEXT NOT NULL PRIMARY KEY,
    "ownerId" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE UNIQUE INDEX "Repository_name_key" ON "Repository"("name");

-- CreateIndex
CREATE UNIQUE INDEX "Blob_objectKey_key" ON "Blob"("objectKey");

-- CreateIndex
CREATE INDEX "Blob_analysisState_idx" ON "Blob"("analysisState");

-- CreateIndex
CREATE INDEX "RepositoryBlob_digest_idx" ON "RepositoryBlob"("digest");

-- CreateIndex
CREATE INDEX "Manifest_subjectDigest_idx" ON "Manifest"("subjectDigest");

-- CreateIndex
CREATE UNIQUE INDEX "Manifest_repositoryId_digest_key" ON "Manifest"("repositoryId", "digest");

-- CreateIndex
CREATE INDEX "ManifestBlob_digest_idx" ON "ManifestBlob"("digest");

-- CreateIndex
CREATE INDEX "Tag_manifestId_idx" ON "Tag"("manifestId");

-- CreateIndex
CREATE INDEX "TagEvent_repositoryId_tag_idx" ON "TagEvent"("repositoryId", "tag");

-- CreateIndex
CREATE INDEX "StagedObject_ownerId_idx" ON "StagedObject"("ownerId");
