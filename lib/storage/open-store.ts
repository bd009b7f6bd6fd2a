import { S3BlobStore, createS3Client } from './s3-blob-store'
import type { S3Settings } from '../config'

export async function openS3Store(settings: S3Settings & { endpoint: string }): Promise<S3BlobStore> {
  const store = new S3BlobStore(createS3Client(settings), settings.bucket)
  await store.ensureBucket()
  return store
}
