// Command write_options drives Alibaba Cloud's OSS SDK for Go (Debian's
// golang-github-aliyun-aliyun-oss-go-sdk-dev, SDK 1.4) against ossup's local
// server for tests/interop_go_options.test.ts: the object and bucket settings
// SDK 1.4 has (ObjectACL, ServerSideEncryption, StorageClass at CreateBucket,
// SetBucketACL), and reading back what ossup wrote with its own settings.
//
//	write_options mb      -endpoint 127.0.0.1:PORT -ak ID -sk SECRET -bucket B [-class IA]
//	write_options set-acl -endpoint ... -bucket B -acl public-read
//	write_options put     -endpoint ... -bucket B -key K -file F [-acl A] [-sse S]
//	write_options upload  -endpoint ... -bucket B -key K -file F [-acl A] [-sse S]
//	write_options head    -endpoint ... -bucket B -key K
//
// Results are one JSON line on stdout; errors go to stderr with exit code 1
// (an OSS error as "oss: <Code>").
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

func fail(err error) {
	if e, ok := err.(oss.ServiceError); ok {
		fmt.Fprintln(os.Stderr, "oss:", e.Code)
	} else {
		fmt.Fprintln(os.Stderr, "write_options:", err)
	}
	os.Exit(1)
}

func printJSON(v interface{}) {
	b, err := json.Marshal(v)
	if err != nil {
		fail(err)
	}
	fmt.Println(string(b))
}

func main() {
	if len(os.Args) < 2 {
		fail(fmt.Errorf("usage: write_options mb|set-acl|put|upload|head [flags]"))
	}
	mode := os.Args[1]
	fs := flag.NewFlagSet(mode, flag.ExitOnError)
	endpoint := fs.String("endpoint", "", "OSS endpoint (an IP endpoint makes the SDK path-style)")
	ak := fs.String("ak", "", "access key id")
	sk := fs.String("sk", "", "access key secret")
	bucketName := fs.String("bucket", "", "bucket")
	key := fs.String("key", "", "object key")
	file := fs.String("file", "", "local file to upload")
	acl := fs.String("acl", "", "ACL to set")
	sse := fs.String("sse", "", "server-side encryption")
	class := fs.String("class", "", "storage class of a new bucket")
	fs.Parse(os.Args[2:])

	client, err := oss.New(*endpoint, *ak, *sk)
	if err != nil {
		fail(err)
	}
	var options []oss.Option
	if *acl != "" {
		options = append(options, oss.ObjectACL(oss.ACLType(*acl)))
	}
	if *sse != "" {
		options = append(options, oss.ServerSideEncryption(*sse))
	}

	switch mode {
	case "mb":
		var o []oss.Option
		if *class != "" {
			o = append(o, oss.StorageClass(oss.StorageClassType(*class)))
		}
		if err := client.CreateBucket(*bucketName, o...); err != nil {
			fail(err)
		}
		info, err := client.GetBucketInfo(*bucketName)
		if err != nil {
			fail(err)
		}
		printJSON(map[string]string{"storageClass": info.BucketInfo.StorageClass})
		return
	case "set-acl":
		if err := client.SetBucketACL(*bucketName, oss.ACLType(*acl)); err != nil {
			fail(err)
		}
		res, err := client.GetBucketACL(*bucketName)
		if err != nil {
			fail(err)
		}
		printJSON(map[string]string{"acl": res.ACL})
		return
	}

	bucket, err := client.Bucket(*bucketName)
	if err != nil {
		fail(err)
	}
	switch mode {
	case "put":
		if err := bucket.PutObjectFromFile(*key, *file, options...); err != nil {
			fail(err)
		}
	case "upload":
		if err := bucket.UploadFile(*key, *file, 100*1024, append(options, oss.Routines(3))...); err != nil {
			fail(err)
		}
	case "head":
	default:
		fail(fmt.Errorf("unknown mode %q", mode))
	}
	res, err := bucket.GetObjectACL(*key)
	if err != nil {
		fail(err)
	}
	h, err := bucket.GetObjectDetailedMeta(*key)
	if err != nil {
		fail(err)
	}
	printJSON(map[string]string{
		"acl":          res.ACL,
		"sse":          h.Get("X-Oss-Server-Side-Encryption"),
		"storageClass": h.Get("X-Oss-Storage-Class"),
		"taggingCount": h.Get("X-Oss-Tagging-Count"),
		"size":         h.Get("Content-Length"),
	})
}
