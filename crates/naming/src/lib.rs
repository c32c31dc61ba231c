//! S4 naming rules (bucket names, object keys, account IDs, IAM names, ARNs).
