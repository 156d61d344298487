from django.db import models


class FloorRow(models.Model):
    """A ticket-sized row. The table is created by bench/http_load.py (floor_setup), not by migrations."""

    title = models.CharField(max_length=200)
    body = models.TextField()
    status = models.CharField(max_length=20)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        managed = False
        db_table = "bench_floor_row"
        app_label = "floor"

    def __str__(self) -> str:
        return self.title
