/*
  Warnings:

  - You are about to drop the column `analysisLeaseUntil` on the `Blob` table. All the data in the column will be lost.

*/
-- AlterTable
ALTER TABLE "Blob" DROP COLUMN "analysisLeaseUntil";
