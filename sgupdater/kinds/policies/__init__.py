"""aws:SourceIp values of IAM policies (iam, iam_read) and S3 bucket policies (bucket); the
document (document) and what both kinds share (common).
"""
