"""Reads every object the test server holds through cvat-sdk's typed API.

The generated models of cvat-sdk are CVAT's own statement of its schema: a missing required key
or a value of the wrong type fails their deserialization. Prints one JSON object:
{"errors": [...], "read": {endpoint: count}}. Server and credentials as in sdk_flow.py.
"""

import json
import os
import sys

from cvat_sdk import make_client


def main() -> None:
    errors: list[str] = []
    read: dict[str, int] = {}

    def attempt(what, call):
        try:
            value = call()
            read[what] = read.get(what, 0) + 1
            return value
        except Exception as e:  # noqa: BLE001 - every failure is reported, none stops the scan
            errors.append(f"{what}: {type(e).__name__}: {e}"[:800])
            return None

    def results(page):
        return page[0].results if page else []

    with make_client(
        os.environ["CVAT_SERVER"],
        credentials=(os.environ["CVAT_USER"], os.environ["CVAT_PASSWORD"]),
    ) as client:
        api = client.api_client
        attempt("server.about", api.server_api.retrieve_about)
        attempt("server.annotation_formats", api.server_api.retrieve_annotation_formats)
        attempt("users.self", api.users_api.retrieve_self)
        attempt("users.list", api.users_api.list)
        attempt("organizations.list", api.organizations_api.list)
        attempt("memberships.list", api.memberships_api.list)
        for r in results(attempt("requests.list", api.requests_api.list)):
            attempt("requests.retrieve", lambda: api.requests_api.retrieve(r.id))
        for p in results(attempt("projects.list", api.projects_api.list)):
            attempt("projects.retrieve", lambda: api.projects_api.retrieve(p.id))
            attempt("labels.list(project)", lambda: api.labels_api.list(project_id=p.id))
        for t in results(attempt("tasks.list", lambda: api.tasks_api.list(page_size=100))):
            attempt("tasks.retrieve", lambda: api.tasks_api.retrieve(t.id))
            attempt("labels.list(task)", lambda: api.labels_api.list(task_id=t.id))
            if t.size:
                attempt("tasks.data_meta", lambda: api.tasks_api.retrieve_data_meta(t.id))
                attempt("tasks.annotations", lambda: api.tasks_api.retrieve_annotations(t.id))
        for j in results(attempt("jobs.list", lambda: api.jobs_api.list(page_size=100))):
            attempt("jobs.retrieve", lambda: api.jobs_api.retrieve(j.id))
            attempt("jobs.data_meta", lambda: api.jobs_api.retrieve_data_meta(j.id))
            attempt("jobs.annotations", lambda: api.jobs_api.retrieve_annotations(j.id))
            # Job.get_frame without a quality fails inside cvat-sdk 2.80 itself (ApiValueError).
            attempt(
                "jobs.frame",
                lambda: client.jobs.retrieve(j.id).get_frame(j.start_frame, quality="compressed"),
            )

    print(json.dumps({"errors": errors, "read": read}))


if __name__ == "__main__":
    sys.exit(main())
