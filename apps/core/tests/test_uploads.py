"""Uploads past the limit are cut off while they arrive: the view gets an empty stand-in, never the bytes."""

from apps.core.uploads import SizeLimitedUploadHandler, TooLargeUpload

LIMIT = 1024


def test_the_handler_keeps_no_byte_past_the_limit(settings):
    settings.UPLOAD_MAX_BYTES = LIMIT
    handler = SizeLimitedUploadHandler()
    handler.new_file("file", "big.csv", "text/csv", None)
    assert handler.receive_data_chunk(b"x" * 1000, 0) == b"x" * 1000
    assert handler.receive_data_chunk(b"x" * 1000, 1000) is None
    assert handler.receive_data_chunk(b"x" * 1000, 2000) is None
    stand_in = handler.file_complete(3000)
    assert isinstance(stand_in, TooLargeUpload)
    assert stand_in.size == 3000 and stand_in.read() == b""


def test_a_file_within_the_limit_is_left_to_the_next_handler(settings):
    settings.UPLOAD_MAX_BYTES = LIMIT
    handler = SizeLimitedUploadHandler()
    handler.new_file("file", "small.csv", "text/csv", None)
    assert handler.receive_data_chunk(b"a\n1\n", 0) == b"a\n1\n"
    assert handler.file_complete(4) is None
