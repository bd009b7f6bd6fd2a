-- CreateTable
CREATE TABLE "ImageAnalysis" (
    "digest" TEXT NOT NULL PRIMARY KEY,
    "state" TEXT NOT NULL,
    "objectKey" TEXT,
    "entryCount" INTEGER,
    "fileCount" INTEGER,
    "fileBytes" BIGINT,
    "indexBytes" BIGINT,
    "efficiency" TEXT,
    "error" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE UNIQUE INDEX "ImageAnalysis_objectKey_key" ON "ImageAnalysis"("objectKey");

-- CreateIndex
CREATE INDEX "ImageAnalysis_state_idx" ON "ImageAnalysis"("state");
