// Already-compressed vs compressible content (content-kinds.ts). The heads below are the first 16 bytes
// of real files (png, jpeg, gif, woff2, jar, wheel, zip, mp3, ELF .so taken from files of this machine's
// Debian packages; xz, bzip2, zstd, lz4 as their command-line tools write "hello world"), the others
// (webp, 7z, mp4) are written from their format specifications.
import zlib from 'node:zlib'
import { describe, it, expect } from 'vitest'
import { compressedFormatOf, compressedByExtension, isCompressedContent, HEAD_BYTES } from '../../lib/layers/content-kinds'

const hex = (h: string) => Buffer.from(h, 'hex')

const COMPRESSED: [string, string, Buffer][] = [
  ['png', 'usr/share/icons/logo', hex('89504e470d0a1a0a0000000d49484452')],
  ['jpeg', 'srv/photo', hex('ffd8ffe000104a464946000101000001')],
  ['gif', 'srv/anim', hex('47494638396130003c00e700000a0a0c')],
  ['woff2', 'app/fonts/geist', hex('774f46320001000000003bbc00130000')],
  ['zip', 'opt/app/lib/jsr305', hex('504b03041400000800001d940a4b0000')], // a jar
  ['zip', 'usr/share/python-wheels/setuptools', hex('504b03041400000008006c5dbb5aa82e')], // a wheel
  ['mp3', 'srv/test', hex('49443304000000000016545353450000')],
  ['gzip', 'data/blob', zlib.gzipSync(Buffer.from('hello world')).subarray(0, 16)],
  ['xz', 'data/blob', hex('fd377a585a000004e6d6b44602002101')],
  ['bzip2', 'data/blob', hex('425a68393141592653594eece8360000')],
  ['zstd', 'data/blob', hex('28b52ffd045861000068656c6c6f2077')],
  ['lz4', 'data/blob', hex('04224d186440a70c00008068656c6c6f')],
  ['webp', 'srv/img', Buffer.concat([Buffer.from('RIFF'), hex('1a000000'), Buffer.from('WEBPVP8L')])],
  ['7z', 'data/blob', hex('377abcaf271c000427ef4b6e00000000')],
  ['mp4', 'srv/clip', Buffer.concat([hex('00000020'), Buffer.from('ftypisom')])],
]

const COMPRESSIBLE: [string, string, Buffer][] = [
  ['an ELF shared library', 'usr/lib/x86_64-linux-gnu/libstdbuf.so', hex('7f454c46020101000000000000000000')],
  ['an ELF shared library with a version', 'usr/lib/libssl.so.3', hex('7f454c46020101000000000000000000')],
  ['a shell script', 'usr/bin/entrypoint', Buffer.from('#!/bin/sh\nset -e\n')],
  ['JSON', 'app/package.json', Buffer.from('{\n  "name": "x"')],
  ['a WAV (RIFF, not WEBP)', 'srv/sound.wav', Buffer.concat([Buffer.from('RIFF'), hex('24080000'), Buffer.from('WAVEfmt ')])],
  ['text starting with BZh but no block size', 'doc/notes', Buffer.from('BZh is a prefix')],
  ['a Java class', 'app/Main.class', hex('cafebabe00000041001d0a0002000300')],
  ['a file shorter than any magic', 'etc/hostname', Buffer.from('x')],
]

describe('content kinds', () => {
  it.each(COMPRESSED)('recognizes %s by its first bytes, whatever the name', (format, name, head) => {
    expect(compressedFormatOf(head)).toBe(format)
    expect(isCompressedContent(name, head)).toBe(true)
    // only the first HEAD_BYTES are ever looked at
    expect(compressedFormatOf(head.subarray(0, HEAD_BYTES))).toBe(format)
  })

  it.each(COMPRESSIBLE)('counts %s as compressible', (_what, name, head) => {
    expect(compressedFormatOf(head)).toBeNull()
    expect(isCompressedContent(name, head)).toBe(false)
  })

  it('reads the head at an offset of a larger buffer (the scanner passes its chunk)', () => {
    const png = hex('89504e470d0a1a0a0000000d49484452')
    const chunk = Buffer.concat([Buffer.alloc(100, 0x61), png, Buffer.alloc(50)])
    expect(compressedFormatOf(chunk, 100, 100 + HEAD_BYTES)).toBe('png')
    expect(compressedFormatOf(chunk, 0, 100)).toBeNull()
    // a signature cut by `end` does not match
    expect(compressedFormatOf(chunk, 100, 103)).toBeNull()
  })

  it('falls back to the extension for formats without a magic number (brotli) or heads it does not know', () => {
    const brotli = zlib.brotliCompressSync(Buffer.from('hello hello hello hello world')).subarray(0, HEAD_BYTES)
    expect(compressedFormatOf(brotli)).toBeNull()
    expect(isCompressedContent('app/static/main.js.br', brotli)).toBe(true)
    expect(isCompressedContent('app/static/main.js', brotli)).toBe(false)
    for (const name of ['a/b.tar.gz', 'x.TGZ', 'lib/app.jar', 'a.war', 'font.woff2', 'img.JPEG', 'v.mp4', 'song.mp3', 'd.zst', 'd.xz', 'd.bz2', 'p.whl', 'x.apk']) {
      expect([name, compressedByExtension(name)]).toEqual([name, true])
    }
    for (const name of ['libc.so.6', 'libz.so', 'README', 'a/.gz', 'gz', 'dir.gz/file', 'x.', 'notes.txt', 'app.js']) {
      expect([name, compressedByExtension(name)]).toEqual([name, false])
    }
  })

  it('decides an empty head by the name alone', () => {
    expect(isCompressedContent('a.png', Buffer.alloc(0))).toBe(true)
    expect(isCompressedContent('a.txt', Buffer.alloc(0))).toBe(false)
  })
})
