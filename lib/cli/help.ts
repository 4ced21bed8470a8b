/**
 * The text of `ossup --help`, `ossup --version`.
 *
 * @module
 */

import { SERVE_FLAGS_HELP } from "../server/serve_flags.ts";

/** The version `ossup --version` prints. */
export const VERSION = "0.1.0";

/** `ossup --help`. */
export const HELP = `ossup ${VERSION}: resumable multipart upload to Alibaba Cloud OSS

Usage:
  ossup cp <file> oss://<bucket>/<key>   upload, resumably (Ctrl-C pauses; run again to resume)
  ossup cp oss://<bucket>/<key> <file>   download by parallel ranges, resumable, CRC64-verified
  ossup cp oss://<b>/<key> oss://<b2>/<key2>   copy inside OSS: CopyObject up to 1 GiB, else
                                         UploadPartCopy parts (default 16MB), resumable
  ossup cp -r <dir> oss://<bucket>/<prefix>/   a folder's files, --jobs at once, one journal:
                                         kill it and run it again to resume
  ossup cp -r oss://<bucket>/<prefix>/ <dir>   the objects under a prefix into a folder
  ossup cp -r oss://<b>/<prefix>/ oss://<b2>/<prefix2>/   copy every object under a prefix
                                         inside OSS (CopyObject each, UploadPartCopy parts above
                                         --bigfile-threshold); the prefixes of one bucket must
                                         not contain each other
  ossup sync <dir> oss://<bucket>/<prefix>/    copy only what is missing or changed there
  ossup sync oss://<bucket>/<prefix>/ <dir>    (any way: also oss://... oss://...; cp -r's
                                         options and journal)
  ossup cp - oss://<bucket>/<key>        upload standard input (multipart, one part in memory
                                         at a time, 8MB parts unless --part-size; not resumable)
  ossup cp oss://<bucket>/<key> -        write the object to standard output, CRC64 checked at
                                         the end (a mismatch: said on stderr, exit 5)
  ossup cat oss://<bucket>/<key>         the same, without the summary line
  ossup stat oss://<bucket>/<key>        size, ETag, CRC64, content type, storage class, ACL,
                                         times, user metadata and stored headers
  ossup ls [oss://<bucket>[/<prefix>]]   list buckets, or objects under a prefix
  ossup ls -m oss://<bucket>[/<prefix>]  list unfinished multipart uploads (key, upload ID,
                                         initiated, parts, bytes)
  ossup rm oss://<bucket>/<key>          remove an object; one that does not exist is said so, exit 0
                                         (rm --bucket oss://<bucket>: an empty bucket;
                                         rm -r oss://<bucket>/<prefix>: every object whose key
                                         starts with the prefix, 1000 a request (DeleteMultiple-
                                         Objects); --dry-run lists them and removes nothing;
                                         rm -m oss://<bucket>[/<prefix>] [--older-than 24h]: abort
                                         the unfinished multipart uploads there (those initiated
                                         at least that long ago: s, m, h, d), saying the bytes freed)
  ossup mb oss://<bucket>                make a bucket
  ossup presign oss://<bucket>/<key>     print a presigned URL (--expires 3600, --method GET,
                                         --content-type TYPE: signed, so the user of the URL
                                         must send that Content-Type; without it, send none:
                                         curl -T FILE URL)
  ossup serve                            run the local OSS-compatible server

cp options:
  --part-size SIZE        bytes per part, 100KB to 5GB; KB/MB/GB are powers of 1024 as in OSS
                          (100KB = 102400 bytes). Default: auto (from the size; a resumed
                          transfer keeps its checkpoint's)
  --parallel N            parts (or ranges) transferred at once, 1-100, or auto (the default:
                          grows while throughput grows, backs off on throttling)
  --bandwidth-limit RATE  most bytes per second, all parts together: bytes, or K, M, G for
                          KiB/s, MiB/s, GiB/s as ossutil's (50M = 50 MiB/s); from 1024
  --checkpoint PATH       where progress is kept (default <file>.cp for uploads,
                          <file>.ossup-download.cp for downloads, ./ossup-copy-<hash>.cp for copies)
  --checkpoint-dir DIR    keep the checkpoint in DIR instead
  --no-checkpoint         keep nothing: an interrupted transfer starts over
  --bigfile-threshold SIZE  uploads: files up to SIZE go up with one PutObject, CRC64-checked
                          (default: one part); cp -r: files up to SIZE go in one request each
                          (default 1MB); copies (cp -r too): sources up to SIZE use one CopyObject
                          (default 1GB)
What an upload stores (cp <file> oss://..., cp - oss://..., and every object of
cp -r <dir> oss://... and sync <dir> oss://..., small and large files alike):
  --content-type TYPE     default: by the file's extension, else the key's (the mime
                          package's table), else application/octet-stream; on a tree, TYPE
                          for every file, whatever its extension
  --meta NAME=VALUE       user metadata, x-oss-meta-NAME (repeatable)
  --acl ACL               default, private, public-read, public-read-write
  --storage-class CLASS   Standard, IA, Archive, ColdArchive, DeepColdArchive
  --tagging K=V&K2=V2     object tags (URL-encoded keys and values)
  --cache-control VALUE   Cache-Control sent back when the object is read
  --content-disposition VALUE  e.g. 'attachment; filename="a.pdf"'
cp -r options (folders):
  -r, --recursive         copy a folder's files, or the objects under a prefix; the journal is
                          ./ossup-tree-<hash>.cp (or --checkpoint, --checkpoint-dir), removed when
                          every file is done
  --jobs N                files at once, 1-1000 (default 8); large files also use --parallel parts
  --include GLOB          keep files whose name matches (repeatable); --exclude GLOB drops them.
                          As ossutil: on the name, not the folders; * ? [a-z] [!a-z]; applied in
                          the order given
                          Links to files are followed; links to folders, FIFOs, sockets and
                          devices are skipped and said; failed files are retried 3 times, then
                          listed, and the exit code is the first failure's
sync options (and cp -r's):
  --delete                delete what the source does not have (listed first; only after every
                          copy succeeded; --include/--exclude protect what they leave out)
  --dry-run               say what would be copied and deleted, change nothing
  --checksum              changed = another size or another CRC-64 (the file's computed, an
                          object's by HEAD); without it, from the listings alone: another size,
                          or up (and oss:// to oss://): the source modified in a later second
                          than the destination's LastModified; down: the file's mtime is not
                          the object's LastModified (downloads give files that mtime)
  -j, --json              print one JSON object as the result (key, size, etag without quotes,
                          crc64, parts, partSize, seconds, bytesSent, bytesResent, resumed;
                          downloads: file, bytesReceived; copies: sourceBucket, sourceKey,
                          method); no progress
serve options (the same as \`npm run serve\`, lib/server/main.ts):
  With neither --data nor --memory, ./.ossup is served with its local key (only --host and
  --port apply) and ossup commands in this folder share the server. With either, the key is
  -i/-k or OSS_ACCESS_KEY_ID/OSS_ACCESS_KEY_SECRET.
${SERVE_FLAGS_HELP}Connection (flags win over the environment, the environment over ossutil's config file):
  -e, --endpoint URL      OSS endpoint, e.g. oss-cn-hangzhou.aliyuncs.com      OSS_ENDPOINT
  --region ID             region, e.g. cn-hangzhou (default: from the endpoint)  OSS_REGION
  -i, --access-key-id ID                                                       OSS_ACCESS_KEY_ID
  -k, --access-key-secret SECRET                                               OSS_ACCESS_KEY_SECRET
  -t, --sts-token TOKEN   security token of temporary (STS) credentials        OSS_SESSION_TOKEN
  --signature-version v4|v1   (default v4)
  --config-file PATH      ossutil's INI config file (default ~/.ossutilconfig, read when
                          present): [Credentials] endpoint, accessKeyID, accessKeySecret,
                          stsToken
  With no endpoint configured, ossup uses a local server with its data in ./.ossup, started
  for the command (or the one \`ossup serve\` runs there); buckets are created on first use.
Output:
  -q, --quiet             errors only: no progress, summary or notes
  --verbose               request IDs, stack traces
  -h, --help              this text                   --version   the version

Exit codes:
  0    done
  1    unexpected error (a bug: rerun with --verbose and report it)
  2    bad input or local files: usage, bad oss:// URL, bad part size or number, a local file
       or folder missing or not allowed, a full disk
  3    authentication or permission refused: wrong key or secret, access denied
  4    network failure: endpoint unreachable, connection reset, timeout
  5    integrity failure: CRC64 mismatch, or the file changed during the upload
  6    OSS refused the request otherwise: no such bucket or key, bucket not empty...
  7    checkpoint or local data in use by another process
  8    checkpoint cannot be read or written: disk full, a directory in its place, no permission
  130  interrupted (Ctrl-C): the checkpoint is kept (it says so when one was written); run the
       same command again to resume
`;
