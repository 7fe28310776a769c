"""Uploaded files capped while the request streams in: a file past the limit is dropped before it is stored."""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile


class LimitedUploadHandler(FileUploadHandler):
    """The first of FILE_UPLOAD_HANDLERS: a file larger than FILE_UPLOAD_MAX_BYTES goes no further.

    Django joins no chunks and writes nothing for it: the handlers after this one (memory, then a
    temporary file) never see it, and the rest of the request is read past. The other fields of the
    form still arrive, so the view can say why the file is missing: `request.refused_uploads` names
    the refused fields.
    """

    too_large = False

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # Other fields are capped by DATA_UPLOAD_MAX_MEMORY_SIZE: a body larger than both caps
        # together holds a file over the limit, refused before a byte of it is kept.
        ceiling = settings.FILE_UPLOAD_MAX_BYTES + (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0) + 64 * 1024
        self.too_large = content_length > ceiling

    def new_file(self, field_name, *args, **kwargs):
        super().new_file(field_name, *args, **kwargs)
        self.received = 0
        if self.too_large:
            self.refuse()

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.FILE_UPLOAD_MAX_BYTES:
            self.refuse()
        return raw_data

    def refuse(self):
        refused = getattr(self.request, "refused_uploads", None) or {}
        refused[self.field_name] = self.file_name
        self.request.refused_uploads = refused
        raise SkipFile

    def file_complete(self, file_size):
        return None  # the next handler builds the file
