"""An import reads only its own tenant's uploaded file (DESIGN §6: no cross-tenant reads)."""

from __future__ import annotations

from typing import Any

import pytest

from alumni_contracts import naming
from members_service.domain.import_plan import ImportJob, ImportNotFound
from members_service.service_layer import imports
from members_service.service_layer.commands import Actor

from .fakes import FakeFileStore, FakeMembers, FakeMembersUnitOfWork

STAFF = Actor("office", None, staff=True)
CSV = b"first_name,last_name,email\nJeanne,Martin,jeanne@example.org\n"


class FakeImportJobs:
    def __init__(self) -> None:
        self.added: list[ImportJob] = []

    async def add(self, job: ImportJob) -> None:
        self.added.append(job)


def _uow() -> Any:
    uow: Any = FakeMembersUnitOfWork(FakeMembers())
    uow.import_jobs = FakeImportJobs()
    return uow


def _upload(tenant: str, job_id: str, object_name: str) -> imports.UploadImport:
    return imports.UploadImport(tenant, STAFF, job_id, "alumni.csv", object_name, len(CSV), None, None)


def test_the_object_name_is_the_tenant_and_the_import() -> None:
    assert naming.import_object_name("demo", "0191-abc") == "demo.0191-abc"
    with pytest.raises(naming.InvalidName):
        naming.import_object_name("de.mo", "x")


@pytest.mark.parametrize("object_name", [
    "other.job-1",  # another tenant's upload
    "demo.job-2",  # another import of the same tenant
    "demo-x.job-1",  # a tenant whose name starts like this one's
    "job-1",
])
async def test_create_import_refuses_a_file_that_is_not_this_imports(object_name: str) -> None:
    files = FakeFileStore()
    await files.put(object_name, CSV)
    uow = _uow()
    with pytest.raises(ImportNotFound):
        await imports.upload_import(_upload("demo", "job-1", object_name), uow, files)
    assert uow.import_jobs.added == []


async def test_create_import_reads_the_tenants_own_file() -> None:
    files = FakeFileStore()
    await files.put("demo.job-1", CSV)
    uow = _uow()
    preview = await imports.upload_import(_upload("demo", "job-1", "demo.job-1"), uow, files)
    assert preview.job.tenant == "demo" and preview.job.object_name == "demo.job-1"
    assert [j.id for j in uow.import_jobs.added] == ["job-1"]
