-- CreateTable
CREATE TABLE "Repository" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Repository_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Blob" (
    "digest" TEXT NOT NULL,
    "objectKey" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "mediaType" TEXT,
    "uncompressedSize" BIGINT,
    "compressedSize" BIGINT,
    "sourceDigest" TEXT,
    "analysisState" TEXT NOT NULL DEFAULT 'pending',
    "analysisError" TEXT,
    "analysisLeaseUntil" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Blob_pkey" PRIMARY KEY ("digest")
);

-- CreateTable
CREATE TABLE "RepositoryBlob" (
    "repositoryId" INTEGER NOT NULL,
    "digest" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RepositoryBlob_pkey" PRIMARY KEY ("repositoryId","digest")
);

-- CreateTable
CREATE TABLE "Manifest" (
    "id" SERIAL NOT NULL,
    "repositoryId" INTEGER NOT NULL,
    "digest" TEXT NOT NULL,
    "mediaType" TEXT NOT NULL,
    "content" BYTEA NOT NULL,
    "configDigest" TEXT,
    "artifactType" TEXT,
    "subjectDigest" TEXT,
    "os" TEXT,
    "architecture" TEXT,
    "variant" TEXT,
    "packedSize" BIGINT,
    "uploadId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Manifest_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ManifestBlob" (
    "manifestId" INTEGER NOT NULL,
    "position" INTEGER NOT NULL,
    "digest" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "packedSize" BIGINT,

    CONSTRAINT "ManifestBlob_pkey" PRIMARY KEY ("manifestId","position")
);

-- CreateTable
CREATE TABLE "Tag" (
    "repositoryId" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "manifestId" INTEGER NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Tag_pkey" PRIMARY KEY ("repositoryId","name")
);

-- CreateTable
CREATE TABLE "TagEvent" (
    "id" SERIAL NOT NULL,
    "repositoryId" INTEGER NOT NULL,
    "tag" TEXT NOT NULL,
    "manifestDigest" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "uploadId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TagEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Upload" (
    "id" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "filename" TEXT,
    "receivedBytes" BIGINT NOT NULL DEFAULT 0,
    "errorCode" TEXT,
    "errorMessage" TEXT,
    "result" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "Upload_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StagedObject" (
    "objectKey" TEXT NOT NULL,
    "ownerId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "StagedObject_pkey" PRIMARY KEY ("objectKey")
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

-- AddForeignKey
ALTER TABLE "RepositoryBlob" ADD CONSTRAINT "RepositoryBlob_repositoryId_fkey" FOREIGN KEY ("repositoryId") REFERENCES "Repository"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RepositoryBlob" ADD CONSTRAINT "RepositoryBlob_digest_fkey" FOREIGN KEY ("digest") REFERENCES "Blob"("digest") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Manifest" ADD CONSTRAINT "Manifest_repositoryId_fkey" FOREIGN KEY ("repositoryId") REFERENCES "Repository"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ManifestBlob" ADD CONSTRAINT "ManifestBlob_manifestId_fkey" FOREIGN KEY ("manifestId") REFERENCES "Manifest"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ManifestBlob" ADD CONSTRAINT "ManifestBlob_digest_fkey" FOREIGN KEY ("digest") REFERENCES "Blob"("digest") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Tag" ADD CONSTRAINT "Tag_repositoryId_fkey" FOREIGN KEY ("repositoryId") REFERENCES "Repository"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Tag" ADD CONSTRAINT "Tag_manifestId_fkey" FOREIGN KEY ("manifestId") REFERENCES "Manifest"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TagEvent" ADD CONSTRAINT "TagEvent_repositoryId_fkey" FOREIGN KEY ("repositoryId") REFERENCES "Repository"("id") ON DELETE CASCADE ON UPDATE CASCADE;
