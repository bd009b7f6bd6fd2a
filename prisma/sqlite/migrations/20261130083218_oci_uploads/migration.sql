-- CreateTable
CREATE TABLE "BlobUploadSession" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "repository" TEXT NOT NULL,
    "receivedBytes" BIGINT NOT NULL DEFAULT 0,
    "objectKey" TEXT NOT NULL,
    "multipartId" TEXT,
    "tailKey" TEXT,
    "tailSize" BIGINT NOT NULL DEFAULT 0,
    "lockedUntil" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "BlobUploadPart" (
    "sessionId" TEXT NOT NULL,
    "number" INTEGER NOT NULL,
    "etag" TEXT NOT NULL,
    "size" BIGINT NOT NULL,

    PRIMARY KEY ("sessionId", "number"),
    CONSTRAINT "BlobUploadPart_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "BlobUploadSession" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "BlobUploadSession_updatedAt_idx" ON "BlobUploadSession"("updatedAt");
