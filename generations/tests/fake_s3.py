"""A fake S3-compatible object store on a loopback port: path-style PUT, GET (with Range),
HEAD and DELETE of objects, as boto3 speaks them. Signatures are not checked; what we test is
our side (storing through the storage API, presigned URLs that work without our key)."""

import http.server
import re
import threading
from urllib.parse import unquote, urlsplit


class FakeS3:
    def __init__(self):
        self.objects = {}  # (bucket, key) -> (bytes, content type)
        self.requests = []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _target(self):
                parts = urlsplit(self.path)
                bucket, _, key = unquote(parts.path).lstrip("/").partition("/")
                fake.requests.append((self.command, key, parts.query))
                return bucket, key

            def _answer(self, status, body=b"", headers=None):
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _body(self):
                if self.headers.get("Transfer-Encoding") == "chunked":
                    data = b""
                    while size := int(self.rfile.readline().split(b";")[0], 16):
                        data += self.rfile.read(size)
                        self.rfile.readline()
                    while self.rfile.readline() not in (b"\r\n", b""):
                        pass
                else:
                    data = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if "aws-chunked" in self.headers.get("Content-Encoding", ""):
                    data = _decode_aws_chunked(data)
                return data

            def do_PUT(self):
                bucket, key = self._target()
                content_type = self.headers.get("Content-Type", "application/octet-stream")
                fake.objects[(bucket, key)] = (self._body(), content_type)
                self._answer(200, headers={"ETag": '"fake"'})

            def do_HEAD(self):
                self.do_GET()

            def do_GET(self):
                bucket, key = self._target()
                if (bucket, key) not in fake.objects:
                    missing = b"<Error><Code>NoSuchKey</Code></Error>"
                    return self._answer(404, missing, {"Content-Type": "application/xml"})
                data, content_type = fake.objects[(bucket, key)]
                headers = {"Content-Type": content_type, "ETag": '"fake"', "Accept-Ranges": "bytes"}
                match = re.match(r"bytes=(\d*)-(\d*)", self.headers.get("Range", ""))
                if match and match.group(0) != "bytes=-":
                    first, last = match.groups()
                    start = int(first) if first else len(data) - int(last)
                    end = int(last) if (first and last) else len(data) - 1
                    headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
                    return self._answer(206, data[start : end + 1], headers)
                self._answer(200, data, headers)

            def do_DELETE(self):
                bucket, key = self._target()
                fake.objects.pop((bucket, key), None)
                self._answer(204)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()


def _decode_aws_chunked(data):
    out, rest = b"", data
    while rest:
        line, _, rest = rest.partition(b"\r\n")
        size = int(line.split(b";")[0], 16)
        if size == 0:
            break
        out, rest = out + rest[:size], rest[size + 2 :]
    return out
