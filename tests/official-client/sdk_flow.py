"""cvat-sdk scenarios as a CVAT user scripts them, against the bundled test server.

Usage: python sdk_flow.py '<json>' with keys: name, labels, images, out_dir, annotations,
annotation_format, export_format. The server and credentials come from CVAT_SERVER, CVAT_USER
and CVAT_PASSWORD. Prints one JSON object: the ids and files it produced.
"""

import json
import os
import sys
from pathlib import Path

from cvat_sdk import make_client, models


def main() -> None:
    spec = json.loads(sys.argv[1])
    out_dir = Path(spec["out_dir"])
    out_dir.mkdir(parents=True, exist_ok=True)
    result = {}

    with make_client(
        os.environ["CVAT_SERVER"],
        credentials=(os.environ["CVAT_USER"], os.environ["CVAT_PASSWORD"]),
    ) as client:
        client.config.status_check_period = 0.1

        task = client.tasks.create_from_data(
            spec=models.TaskWriteRequest(
                name=spec["name"],
                labels=[models.PatchedLabelRequest(**label) for label in spec["labels"]],
            ),
            resources=spec["images"],
            data_params={"image_quality": 75, "chunk_size": 2},
        )
        result["task_id"] = task.id
        result["task_size"] = task.size

        annotations_only = out_dir / "sdk-annotations.zip"
        task.export_dataset(spec["export_format"], annotations_only, include_images=False)
        result["annotations_zip"] = str(annotations_only)

        with_images = out_dir / "sdk-dataset.zip"
        task.export_dataset(spec["export_format"], with_images, include_images=True)
        result["dataset_zip"] = str(with_images)

        backup = out_dir / "sdk-backup.zip"
        task.download_backup(backup)
        result["backup_zip"] = str(backup)

        restored = client.tasks.create_from_backup(backup)
        result["restored_id"] = restored.id

        task.import_annotations(spec["annotation_format"], spec["annotations"])
        result["shapes_after_import"] = len(task.get_annotations().shapes)

    print(json.dumps(result))


if __name__ == "__main__":
    main()
