//! Reading `terraform show -json` plan output into the evaluated-instance model.
