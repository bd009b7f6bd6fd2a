-- CreateTable
CREATE TABLE "ImageAnalysis" (
    "digest" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "objectKey" TEXT,
    "entryCount" INTEGER,
    "fileCount" INTEGER,
    "fileBytes" BIGINT,
    "indexBytes" BIGINT,
    "efficiency" TEXT,
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ImageAnalysis_pkey" PRIMARY KEY ("digest")
);

-- CreateIndex
CREATE UNIQUE INDEX "ImageAnalysis_objectKey_key" ON "ImageAnalysis"("objectKey");

-- CreateIndex
CREATE INDEX "ImageAnalysis_state_idx" ON "ImageAnalysis"("state");
