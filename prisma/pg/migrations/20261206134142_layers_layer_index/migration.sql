-- CreateTable
CREATE TABLE "LayerIndex" (
    "digest" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "objectKey" TEXT,
    "offsetsOf" TEXT,
    "entryCount" INTEGER,
    "fileCount" INTEGER,
    "fileBytes" BIGINT,
    "indexBytes" BIGINT,
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "LayerIndex_pkey" PRIMARY KEY ("digest")
);

-- CreateIndex
CREATE UNIQUE INDEX "LayerIndex_objectKey_key" ON "LayerIndex"("objectKey");

-- CreateIndex
CREATE INDEX "LayerIndex_state_idx" ON "LayerIndex"("state");
