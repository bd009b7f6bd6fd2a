-- CreateTable
CREATE TABLE "ResumableUpload" (
    "id" TEXT NOT NULL,
    "ownerId" INTEGER NOT NULL,
    "length" BIGINT NOT NULL,
    "metadata" TEXT NOT NULL,
    "checkpointOffset" BIGINT NOT NULL DEFAULT 0,
    "checkpoint" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ResumableUpload_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ResumableUpload_updatedAt_idx" ON "ResumableUpload"("updatedAt");
