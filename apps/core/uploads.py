"""Uploads stop at the size limit while they arrive, not after Django has stored them.

`SizeLimitedUploadHandler` runs first among `FILE_UPLOAD_HANDLERS` for every multipart
request (HTML forms and the API alike). Once a file passes `UPLOAD_MAX_BYTES`, it swallows the
rest of that file's chunks, so the memory and temporary-file handlers behind it never store
more than the limit, and hands the view a `TooLargeUpload`: an empty file that reports the
size received so far. The service's own size check then answers with its usual message
("The file is …; the limit is …") and nothing is left behind.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class TooLargeUpload(UploadedFile):
    """Stands in for a file that went past the upload limit: no content, the size seen so far."""

    too_large = True

    def __init__(self, *, name: str, content_type: str | None, size: int, charset=None):
        super().__init__(io.BytesIO(b""), name, content_type, size, charset)


class SizeLimitedUploadHandler(FileUploadHandler):
    """Counts each file's bytes and keeps none past `settings.UPLOAD_MAX_BYTES`."""

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0
        self.too_large = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > settings.UPLOAD_MAX_BYTES:
            self.too_large = True
            return None  # the handlers after this one never see the chunk
        return raw_data

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if not self.too_large:
            return None  # the next handler (memory or temporary file) completes it
        self._discard_partial_files()
        return TooLargeUpload(
            name=self.file_name, content_type=self.content_type, size=self.received, charset=self.charset
        )

    def _discard_partial_files(self) -> None:
        """Close what the handlers behind this one stored before the limit (a temporary file is deleted
        when closed), now rather than whenever the request is garbage-collected."""
        for handler in getattr(self.request, "upload_handlers", ()):
            partial = getattr(handler, "file", None) if handler is not self else None
            if partial is not None and hasattr(partial, "close"):
                partial.close()
