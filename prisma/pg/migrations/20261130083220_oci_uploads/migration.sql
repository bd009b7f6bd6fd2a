-- CreateTable
CREATE TABLE "BlobUploadSession" (
    "id" TEXT NOT NULL,
    "repository" TEXT NOT NULL,
    "receivedBytes" BIGINT NOT NULL DEFAULT 0,
    "objectKey" TEXT NOT NULL,
    "multipartId" TEXT,
    "tailKey" TEXT,
    "tailSize" BIGINT NOT NULL DEFAULT 0,
    "lockedUntil" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "BlobUploadSession_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BlobUploadPart" (
    "sessionId" TEXT NOT NULL,
    "number" INTEGER NOT NULL,
    "etag" TEXT NOT NULL,
    "size" BIGINT NOT NULL,

    CONSTRAINT "BlobUploadPart_pkey" PRIMARY KEY ("sessionId","number")
);

-- CreateIndex
CREATE INDEX "BlobUploadSession_updatedAt_idx" ON "BlobUploadSession"("updatedAt");

-- AddForeignKey
ALTER TABLE "BlobUploadPart" ADD CONSTRAINT "BlobUploadPart_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "BlobUploadSession"("id") ON DELETE CASCADE ON UPDATE CASCADE;
