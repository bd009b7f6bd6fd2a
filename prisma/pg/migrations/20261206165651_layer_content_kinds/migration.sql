-- AlterTable
ALTER TABLE "LayerIndex" ADD COLUMN     "compressedContentBytes" BIGINT,
ADD COLUMN     "compressibleBytes" BIGINT;
