"""Schemathesis hooks for scripts/api-contract.sh.

`no_success_without_credentials`: in the run without credentials, no operation that
the OpenAPI document does not mark public (`security: []`) may answer 2xx.
"""

import schemathesis


@schemathesis.check
def no_success_without_credentials(ctx, response, case):
    security = case.operation.definition.raw.get("security")
    public = security is not None and len(security) == 0
    if not public and 200 <= response.status_code < 300:
        raise AssertionError(
            f"{case.operation.label} answered {response.status_code} without credentials,"
            " but the document does not mark it public"
        )
