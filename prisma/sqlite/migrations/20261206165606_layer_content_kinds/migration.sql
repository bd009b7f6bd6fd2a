-- AlterTable
ALTER TABLE "LayerIndex" ADD COLUMN "compressedContentBytes" BIGINT;
ALTER TABLE "LayerIndex" ADD COLUMN "compressibleBytes" BIGINT;
