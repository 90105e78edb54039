//! AWS errors → Terraform diagnostics that say what failed (operation, resource) and why.

use std::error::Error;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response as HttpResponse;
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
pub fn http_status<E>(err: &SdkError<E, HttpResponse>) -> Option<u16> {
    err.raw_response().map(|r| r.status().as_u16())
}

/// An error diagnostic for a failed AWS call: `operation` is the API name (`CreateKey`),
/// `resource` what it was about (`KMS key 1234…`, `bucket ml-data`).
pub fn aws_error_diagnostic<E>(
    operation: &str,
    resource: &str,
    err: &SdkError<E, HttpResponse>,
) -> Diagnostic
where
    E: ProvideErrorMetadata + Error + 'static,
{
    let summary = format!("AWS {operation} failed for {resource}");
    let detail = match err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            match e.code() {
                Some(code) => {
                    let message = e.message().unwrap_or("no message");
                    format!("AWS answered {code}: {message}{}", hint_for(code))
                }
                // No error code: the response could not be understood (e.g. an unexpected body).
                None => format!(
                    "The response (HTTP {}) could not be understood: {}",
                    service.raw().status().as_u16(),
                    DisplayErrorContext(e)
                ),
            }
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => format!(
            "The request did not reach AWS: {}. Check the endpoint, the network and the credentials source.",
            DisplayErrorContext(err)
        ),
        _ => format!("{}", DisplayErrorContext(err)),
    };
    Diagnostic::error(summary, detail)
}

/// AWS results as the resource layer wants them: a diagnostic naming the operation and the object, and
/// absence as an answer rather than a failure.
pub trait AwsResultExt<T> {
    /// `Err` → "AWS {operation} failed for {what}" with AWS's code, message and a hint.
    fn or_diag(self, operation: &str, what: &str) -> Result<T, Diagnostic>;
    /// Error codes in `not_found` (or HTTP 404 without a code) → `Ok(None)`.
    fn found(
        self,
        operation: &str,
        what: &str,
        not_found: &[&str],
    ) -> Result<Option<T>, Diagnostic>;
}

impl<T, E> AwsResultExt<T> for Result<T, SdkError<E, HttpResponse>>
where
    E: ProvideErrorMetadata + Error + 'static,
{
    fn or_diag(self, operation: &str, what: &str) -> Result<T, Diagnostic> {
        self.map_err(|e| aws_error_diagnostic(operation, what, &e))
    }

    fn found(
        self,
        operation: &str,
        what: &str,
        not_found: &[&str],
    ) -> Result<Option<T>, Diagnostic> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(e) => {
                let code = error_code(&e);
                if code.is_some_and(|c| not_found.contains(&c))
                    || (code.is_none() && http_status(&e) == Some(404))
                {
                    Ok(None)
                } else {
                    Err(aws_error_diagnostic(operation, what, &e))
                }
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_kms::operation::describe_key::DescribeKeyError;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    fn response(status: u16) -> HttpResponse {
        HttpResponse::new(
            aws_smithy_runtime_api::http::StatusCode::try_from(status).unwrap(),
            SdkBody::empty(),
        )
    }

    #[test]
    fn service_errors_name_operation_resource_code_and_message() {
        let meta = ErrorMetadata::builder()
            .code("AccessDeniedException")
            .message("User is not authorized to perform kms:DescribeKey")
            .build();
        let err = SdkError::service_error(DescribeKeyError::generic(meta), response(400));
        let d = aws_error_diagnostic("DescribeKey", "KMS key 1234", &err);
        assert_eq!(d.summary, "AWS DescribeKey failed for KMS key 1234");
        assert!(
            d.detail
                .starts_with("AWS answered AccessDeniedException: User is not authorized"),
            "{}",
            d.detail
        );
        assert!(d.detail.contains("lack this permission"), "{}", d.detail);
        assert_eq!(error_code(&err), Some("AccessDeniedException"));
        assert_eq!(http_status(&err), Some(400));
    }

    #[test]
    fn unparsable_responses_and_unreachable_endpoints_say_so() {
        let err = SdkError::service_error(
            DescribeKeyError::generic(ErrorMetadata::builder().build()),
            response(200),
        );
        let d = aws_error_diagnostic("DescribeKey", "KMS key 1234", &err);
        assert!(
            d.detail
                .starts_with("The response (HTTP 200) could not be understood"),
            "{}",
            d.detail
        );

        let err: SdkError<DescribeKeyError, HttpResponse> =
            SdkError::timeout_error("connect timed out");
        let d = aws_error_diagnostic("DescribeKey", "KMS key 1234", &err);
        assert!(
            d.detail.starts_with("The request did not reach AWS"),
            "{}",
            d.detail
        );
        assert_eq!(error_code(&err), None);
    }
}
