-- CreateTable
CREATE TABLE "ResumableUpload" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "ownerId" INTEGER NOT NULL,
    "length" BIGINT NOT NULL,
    "metadata" TEXT NOT NULL,
    "checkpointOffset" BIGINT NOT NULL DEFAULT 0,
    "checkpoint" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE INDEX "ResumableUpload_updatedAt_idx" ON "ResumableUpload"("updatedAt");
