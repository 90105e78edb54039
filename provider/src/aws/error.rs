//! AWS errors → Terraform diagnostics that say what failed (operation, resource) and why.

use std::error::Error;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::framework::Diagnostic;

/// The AWS error code (`NotFoundException`, `NoSuchBucket`, ...) of a service error, if any.
pub fn error_code<E, R>(err: &SdkError<E, R>) -> Option<&str>
where
    E: ProvideErrorMetadata,
{
    match err {
        SdkError::ServiceError(service) => service.err().code(),
        _ => None,
    }
}

/// The HTTP status of a service error's response, if AWS answered at all.
pub fn http_status<E>(err: &SdkError<E, aws_smithy_runtime_api::http::Response>) -> Option<u16> {
    err.raw_response().map(|r| r.status().as_u16())
}

/// An error diagnostic for a failed AWS call: `operation` is the API name (`CreateKey`),
/// `resource` what it was about (`KMS key 1234…`, `bucket ml-data`).
pub fn aws_error_diagnostic<E, R>(
    operation: &str,
    resource: &str,
    err: &SdkError<E, R>,
) -> Diagnostic
where
    E: ProvideErrorMetadata + Error + 'static,
    R: std::fmt::Debug,
{
    let summary = format!("AWS {operation} failed for {resource}");
    let detail = match err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let code = e.code().unwrap_or("UnknownError");
            let message = e.message().unwrap_or("no message");
            let hint = hint_for(code);
            format!("AWS answered {code}: {message}{hint}")
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => format!(
            "The request did not reach AWS: {}. Check the endpoint, the network and the credentials source.",
            DisplayErrorContext(err)
        ),
        _ => format!("{}", DisplayErrorContext(err)),
    };
    Diagnostic::error(summary, detail)
}

fn hint_for(code: &str) -> &'static str {
    match code {
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" => {
            " (the credentials in use lack this permission)"
        }
        "InvalidClientTokenId"
        | "UnrecognizedClientException"
        | "SignatureDoesNotMatch"
        | "InvalidAccessKeyId" => {
            " (check access_key/secret_key, profile or the AWS credential chain)"
        }
        "ThrottlingException" | "Throttling" | "SlowDown" | "RequestLimitExceeded" => {
            " (AWS throttled the request after all retries)"
        }
        _ => "",
    }
}
