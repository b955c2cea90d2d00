-- +goose Up
-- A chunk of certificates keeps its files together in one pack blob:
-- each certificate's PDF and credential are byte ranges of it, read back
-- with ranged reads. One file a chunk instead of two a certificate is
-- what lets a file system or S3 take thousands of certificates a second.
-- Certificates without a pack have files of their own,
-- certificates/<authority>/<2>/<doc_id>.pdf and .json.
ALTER TABLE certificates ADD COLUMN file_pack TEXT;
ALTER TABLE certificates ADD COLUMN pdf_offset BIGINT;
ALTER TABLE certificates ADD COLUMN pdf_size BIGINT;
ALTER TABLE certificates ADD COLUMN credential_offset BIGINT;
ALTER TABLE certificates ADD COLUMN credential_size BIGINT;
-- Packs no certificate names (a chunk that died before committing) are
-- found and removed by the hourly clean-up.
CREATE INDEX certificates_pack ON certificates (file_pack);

-- +goose Down
DROP INDEX certificates_pack;
ALTER TABLE certificates DROP COLUMN credential_size;
ALTER TABLE certificates DROP COLUMN credential_offset;
ALTER TABLE certificates DROP COLUMN pdf_size;
ALTER TABLE certificates DROP COLUMN pdf_offset;
ALTER TABLE certificates DROP COLUMN file_pack;
