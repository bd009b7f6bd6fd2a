// How a DeleteObjects answer's per-key Errors are read (lib/storage/delete-result.ts).
import { describe, it, expect } from 'vitest'
import { failedDeletes, ObjectsNotDeletedError } from '../../lib/storage/delete-result'

describe('DeleteObjects answers', () => {
  it('counts a key that is already gone (NoSuchKey) as deleted, every other error as not deleted', () => {
    expect(failedDeletes(undefined)).toEqual([])
    expect(
      failedDeletes([
        { Key: 'blobs/a', Code: 'NoSuchKey', Message: 'gone' },
        { Key: 'blobs/b', Code: 'AccessDenied', Message: 'Access Denied' },
        { Key: 'blobs/c', Code: 'InternalError' },
      ]),
    ).toEqual([
      { key: 'blobs/b', code: 'AccessDenied', message: 'Access Denied' },
      { key: 'blobs/c', code: 'InternalError', message: '' },
    ])
  })

  it('names the keys still stored and why, the first three of many', () => {
    const one = new ObjectsNotDeletedError([{ key: 'blobs/b', code: 'AccessDenied', message: 'AccessDenied' }])
    expect(one.message).toBe('the object store did not delete 1 object(s): blobs/b (AccessDenied)')
    const many = new ObjectsNotDeletedError(['w', 'x', 'y', 'z'].map((k) => ({ key: `blobs/${k}`, code: 'SlowDown', message: 'Please reduce your request rate' })))
    expect(many.message).toBe(
      'the object store did not delete 4 object(s): blobs/w (SlowDown: Please reduce your request rate), blobs/x (SlowDown: Please reduce your request rate), blobs/y (SlowDown: Please reduce your request rate), …',
    )
    expect(many.failures).toHaveLength(4)
  })
})
