-- CreateIndex
CREATE INDEX "Manifest_repositoryId_createdAt_idx" ON "Manifest"("repositoryId", "createdAt");

-- CreateIndex
CREATE INDEX "Tag_repositoryId_updatedAt_idx" ON "Tag"("repositoryId", "updatedAt");
