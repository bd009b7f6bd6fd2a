-- Blob.analysisLeaseUntil was never read (issue 11 left it unused). A plain column drop (SQLite 3.35+), not
-- a table rebuild: a rebuild would copy every blob row and would drop columns other migrations add to Blob.
ALTER TABLE "Blob" DROP COLUMN "analysisLeaseUntil";
