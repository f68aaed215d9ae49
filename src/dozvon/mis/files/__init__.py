"""Export/import files: CSV, Excel (xlsx/xls/ods), DBF and Access, read and written back."""
