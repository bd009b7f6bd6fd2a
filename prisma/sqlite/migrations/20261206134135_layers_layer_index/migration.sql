-- CreateTable
CREATE TABLE "LayerIndex" (
    "digest" TEXT NOT NULL PRIMARY KEY,
    "state" TEXT NOT NULL,
    "objectKey" TEXT,
    "offsetsOf" TEXT,
    "entryCount" INTEGER,
    "fileCount" INTEGER,
    "fileBytes" BIGINT,
    "indexBytes" BIGINT,
    "error" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE UNIQUE INDEX "LayerIndex_objectKey_key" ON "LayerIndex"("objectKey");

-- CreateIndex
CREATE INDEX "LayerIndex_state_idx" ON "LayerIndex"("state");
