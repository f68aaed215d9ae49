"""The bundled demo clinic: a small MIS, virtual patients and the glue that runs them together."""
