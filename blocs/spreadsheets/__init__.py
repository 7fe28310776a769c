"""Spreadsheets in and out: reading uploads within limits, writing CSV and XLSX as they stream, whole-file imports.

formats (the file formats the admin offers), uploads (reading CSV and XLSX within fixed limits),
writers (streaming CSV, XLSX and JSON), columns (columns and widgets by natural key), curated
(CuratedResource, the base of every resource), bulk and copying (the whole-file import, written
with COPY), pending (uploaded files awaiting confirmation), admin (the import and export buttons).
"""
