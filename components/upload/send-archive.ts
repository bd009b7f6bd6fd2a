// Sends one archive as the raw request body with XMLHttpRequest: unlike fetch, it reports upload
// progress, and a raw body (no multipart) lets the server stream it straight into the importer.
import { ApiFailure, failureFrom, type UploadResult } from '../api-client'

export type SendProgress = { sent: number; total: number; bodySent: boolean }

export type SendHandle = { done: Promise<UploadResult>; abort(): void }

export function sendArchive(url: string, file: File, onProgress: (p: SendProgress) => void): SendHandle {
  const xhr = new XMLHttpRequest()
  const done = new Promise<UploadResult>((resolve, reject) => {
    xhr.open('POST', url)
    xhr.setRequestHeader('Content-Type', 'application/octet-stream')
    xhr.responseType = 'text'
    xhr.upload.onprogress = (e) => onProgress({ sent: e.loaded, total: e.lengthComputable ? e.total : file.size, bodySent: false })
    // Every byte is out; the server is now verifying and committing.
    xhr.upload.onload = () => onProgress({ sent: file.size, total: file.size, bodySent: true })
    xhr.onload = () => {
      if (xhr.status === 201 || xhr.status === 200) {
        try {
          resolve(JSON.parse(xhr.responseText) as UploadResult)
        } catch {
          reject(new ApiFailure(xhr.status, 'BAD_RESPONSE', 'the server answered with something that is not JSON'))
        }
      } else reject(failureFrom(xhr.status, xhr.responseText))
    }
    xhr.onerror = () =>
      reject(new ApiFailure(0, 'NETWORK', 'the connection to the server was lost during the upload; nothing was imported from this file'))
    xhr.onabort = () => reject(new ApiFailure(0, 'CANCELLED', 'the upload was cancelled; nothing was imported from this file'))
    xhr.send(file)
  })
  return { done, abort: () => xhr.abort() }
}
