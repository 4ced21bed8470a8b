// Command upload_file drives Alibaba Cloud's OSS SDK for Go (Debian's
// golang-github-aliyun-aliyun-oss-go-sdk-dev, SDK 1.4) against ossup's local
// server for the interop tests in tests/interop_go_sdk.test.ts.
//
//	upload_file upload       -endpoint 127.0.0.1:PORT -ak ID -sk SECRET -bucket B -key K -file F [-pause-after N]
//	upload_file download     -endpoint ... -bucket B -key K -out F
//	upload_file head         -endpoint ... -bucket B -key K
//	upload_file mb           -endpoint ... -bucket B
//	upload_file list         -endpoint ... -bucket B [-prefix P]
//	upload_file list-uploads -endpoint ... -bucket B
//	upload_file list-parts   -endpoint ... -bucket B -key K -upload-id ID
//	upload_file append       -endpoint ... -bucket B -key K -file F -position P [-init-crc C]
//	upload_file crc64        -file F
//
// upload runs the documentation's pattern,
// bucket.UploadFile(key, file, 100*1024, oss.Routines(3), oss.Checkpoint(true, "")),
// with a progress listener that only observes. With -pause-after N it prints
// "PAUSED" after N parts are recorded in the .cp file and then blocks, so the
// test can SIGKILL it mid-upload; a rerun resumes from F.cp.
//
// append runs bucket.AppendObject(key, file, position, oss.InitCRC(c)) with the SDK's
// CRC64 check on: the SDK checks the object's CRC64 after the append against the chain
// from C (the CRC64 of the object's bytes before it).
//
// Results are one JSON line on stdout; errors go to stderr with exit code 1.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"hash/crc64"
	"io"
	"os"
	"time"
	_ "time/tzdata" // TZ=Asia/Shanghai must work without the system zone database

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// counter observes UploadFile's progress events. The SDK publishes a
// TransferDataEvent right after it writes a finished part to the .cp file.
type counter struct {
	startedBytes int64
	parts        int
	pauseAfter   int
}

func (c *counter) ProgressChanged(e *oss.ProgressEvent) {
	switch e.EventType {
	case oss.TransferStartedEvent:
		if c.parts == 0 {
			c.startedBytes = e.ConsumedBytes
		}
	case oss.TransferDataEvent:
		c.parts++
		if c.pauseAfter > 0 && c.parts == c.pauseAfter {
			fmt.Println("PAUSED")
			os.Stdout.Sync()
			for {
				time.Sleep(time.Hour) // hold here until the test kills the process
			}
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "upload_file:", err)
	os.Exit(1)
}

func printJSON(v interface{}) {
	b, err := json.Marshal(v)
	if err != nil {
		fail(err)
	}
	fmt.Println(string(b))
}

func fileCRC64(path string) uint64 {
	f, err := os.Open(path)
	if err != nil {
		fail(err)
	}
	defer f.Close()
	h := crc64.New(crc64.MakeTable(crc64.ECMA))
	if _, err := io.Copy(h, f); err != nil {
		fail(err)
	}
	return h.Sum64()
}

func main() {
	if len(os.Args) < 2 {
		fail(fmt.Errorf("usage: upload_file upload|download|head|crc64 [flags]"))
	}
	mode := os.Args[1]
	fs := flag.NewFlagSet(mode, flag.ExitOnError)
	endpoint := fs.String("endpoint", "", "OSS endpoint, e.g. 127.0.0.1:9000 (an IP endpoint makes the SDK path-style)")
	ak := fs.String("ak", "", "access key id")
	sk := fs.String("sk", "", "access key secret")
	bucketName := fs.String("bucket", "", "bucket")
	key := fs.String("key", "", "object key")
	file := fs.String("file", "", "local file to upload or checksum")
	out := fs.String("out", "", "local file to download into")
	prefix := fs.String("prefix", "", "key prefix to list")
	uploadID := fs.String("upload-id", "", "multipart upload id")
	pauseAfter := fs.Int("pause-after", 0, "print PAUSED and block after this many parts (0: never)")
	position := fs.Int64("position", 0, "append position: the object's current length")
	initCRC := fs.Uint64("init-crc", 0, "CRC64 of the object's bytes before the append")
	fs.Parse(os.Args[2:])

	if mode == "crc64" {
		printJSON(map[string]string{"crc64": fmt.Sprint(fileCRC64(*file))})
		return
	}

	client, err := oss.New(*endpoint, *ak, *sk)
	if err != nil {
		fail(err)
	}
	if mode == "mb" {
		if err := client.CreateBucket(*bucketName); err != nil {
			fail(err)
		}
		printJSON(map[string]string{"bucket": *bucketName})
		return
	}
	bucket, err := client.Bucket(*bucketName)
	if err != nil {
		fail(err)
	}

	switch mode {
	case "upload":
		c := &counter{pauseAfter: *pauseAfter}
		err = bucket.UploadFile(*key, *file, 100*1024, oss.Routines(3), oss.Checkpoint(true, ""), oss.Progress(c))
		if err != nil {
			fail(err)
		}
		printJSON(map[string]interface{}{"startedBytes": c.startedBytes, "partsUploaded": c.parts})
	case "append":
		f, err := os.Open(*file)
		if err != nil {
			fail(err)
		}
		defer f.Close()
		next, err := bucket.AppendObject(*key, f, *position, oss.InitCRC(*initCRC))
		if err != nil {
			fail(err)
		}
		printJSON(map[string]interface{}{"nextPosition": next})
	case "download":
		if err := bucket.GetObjectToFile(*key, *out); err != nil {
			fail(err)
		}
		printJSON(map[string]string{"crc64": fmt.Sprint(fileCRC64(*out))})
	case "head":
		h, err := bucket.GetObjectDetailedMeta(*key)
		if err != nil {
			fail(err)
		}
		printJSON(map[string]string{
			"crc64":      h.Get("X-Oss-Hash-Crc64ecma"),
			"etag":       h.Get("Etag"),
			"objectType": h.Get("X-Oss-Object-Type"),
			"size":       h.Get("Content-Length"),
		})
	case "list":
		keys := []string{}
		marker := ""
		for {
			r, err := bucket.ListObjects(oss.Prefix(*prefix), oss.Marker(marker), oss.MaxKeys(2))
			if err != nil {
				fail(err)
			}
			for _, o := range r.Objects {
				keys = append(keys, o.Key)
			}
			if !r.IsTruncated {
				break
			}
			marker = r.NextMarker
		}
		printJSON(map[string]interface{}{"keys": keys})
	case "list-uploads":
		r, err := bucket.ListMultipartUploads()
		if err != nil {
			fail(err)
		}
		uploads := []map[string]string{}
		for _, u := range r.Uploads {
			uploads = append(uploads, map[string]string{"key": u.Key, "uploadId": u.UploadID})
		}
		printJSON(map[string]interface{}{"uploads": uploads})
	case "list-parts":
		imur := oss.InitiateMultipartUploadResult{Bucket: *bucketName, Key: *key, UploadID: *uploadID}
		r, err := bucket.ListUploadedParts(imur)
		if err != nil {
			fail(err)
		}
		parts := []int{}
		for _, p := range r.UploadedParts {
			parts = append(parts, p.PartNumber)
		}
		printJSON(map[string]interface{}{"parts": parts})
	default:
		fail(fmt.Errorf("unknown mode %q", mode))
	}
}
