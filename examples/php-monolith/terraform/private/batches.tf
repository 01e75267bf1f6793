# 80 batch commands, each an ECS scheduled task: an EventBridge rule named
# monolith-private-batch-<name> whose target runs the app task definition with the command.
# circle-fargate finds them by the rule name prefix and points them at the new revision.
locals {
  batches = {
    "aggregate-daily-digest"       = "cron(0 0 * * ? *)"
    "aggregate-inventory"          = "cron(7 5 * * ? *)"
    "aggregate-mail-queue"         = "cron(14 10 * * ? *)"
    "aggregate-reports"            = "cron(21 15 * * ? *)"
    "aggregate-sitemaps"           = "cron(28 20 * * ? *)"
    "archive-coupons"              = "cron(35 1 * * ? *)"
    "archive-daily-digest"         = "cron(42 6 * * ? *)"
    "archive-inventory"            = "cron(49 11 * * ? *)"
    "archive-mail-queue"           = "cron(56 16 * * ? *)"
    "archive-points"               = "cron(3 21 * * ? *)"
    "archive-reports"              = "cron(10 2 * * ? *)"
    "archive-sitemaps"             = "cron(17 7 * * ? *)"
    "export-coupons"               = "cron(24 12 * * ? *)"
    "export-daily-digest"          = "cron(31 17 * * ? *)"
    "export-expired-sessions"      = "cron(38 22 * * ? *)"
    "export-mail-queue"            = "cron(45 3 * * ? *)"
    "export-points"                = "cron(52 8 * * ? *)"
    "export-reports"               = "cron(59 13 * * ? *)"
    "export-sales"                 = "cron(6 18 * * ? *)"
    "export-search-index"          = "cron(13 23 * * ? *)"
    "export-sitemaps"              = "cron(20 4 * * ? *)"
    "import-coupons"               = "cron(27 9 * * ? *)"
    "import-daily-digest"          = "cron(34 14 * * ? *)"
    "import-expired-sessions"      = "cron(41 19 * * ? *)"
    "import-inventory"             = "cron(48 0 * * ? *)"
    "import-points"                = "cron(55 5 * * ? *)"
    "import-reports"               = "cron(2 10 * * ? *)"
    "import-sales"                 = "cron(9 15 * * ? *)"
    "import-sitemaps"              = "cron(16 20 * * ? *)"
    "notify-coupons"               = "cron(23 1 * * ? *)"
    "notify-daily-digest"          = "cron(30 6 * * ? *)"
    "notify-expired-sessions"      = "cron(37 11 * * ? *)"
    "notify-reports"               = "cron(44 16 * * ? *)"
    "notify-sales"                 = "cron(51 21 * * ? *)"
    "notify-search-index"          = "cron(58 2 * * ? *)"
    "purge-coupons"                = "cron(5 7 * * ? *)"
    "purge-daily-digest"           = "cron(12 12 * * ? *)"
    "purge-expired-sessions"       = "cron(19 17 * * ? *)"
    "purge-inventory"              = "cron(26 22 * * ? *)"
    "purge-mail-queue"             = "cron(33 3 * * ? *)"
    "purge-points"                 = "cron(40 8 * * ? *)"
    "purge-reports"                = "cron(47 13 * * ? *)"
    "purge-sales"                  = "cron(54 18 * * ? *)"
    "purge-search-index"           = "cron(1 23 * * ? *)"
    "purge-sitemaps"               = "cron(8 4 * * ? *)"
    "rebuild-coupons"              = "cron(15 9 * * ? *)"
    "rebuild-daily-digest"         = "cron(22 14 * * ? *)"
    "rebuild-inventory"            = "cron(29 19 * * ? *)"
    "rebuild-mail-queue"           = "cron(36 0 * * ? *)"
    "rebuild-points"               = "cron(43 5 * * ? *)"
    "rebuild-reports"              = "cron(50 10 * * ? *)"
    "rebuild-sales"                = "cron(57 15 * * ? *)"
    "rebuild-search-index"         = "cron(4 20 * * ? *)"
    "rebuild-sitemaps"             = "cron(11 1 * * ? *)"
    "recalculate-coupons"          = "cron(18 6 * * ? *)"
    "recalculate-daily-digest"     = "cron(25 11 * * ? *)"
    "recalculate-expired-sessions" = "cron(32 16 * * ? *)"
    "recalculate-points"           = "cron(39 21 * * ? *)"
    "recalculate-reports"          = "cron(46 2 * * ? *)"
    "recalculate-sales"            = "cron(53 7 * * ? *)"
    "recalculate-search-index"     = "cron(0 12 * * ? *)"
    "recalculate-sitemaps"         = "cron(7 17 * * ? *)"
    "send-coupons"                 = "cron(14 22 * * ? *)"
    "send-inventory"               = "cron(21 3 * * ? *)"
    "send-mail-queue"              = "cron(28 8 * * ? *)"
    "send-points"                  = "cron(35 13 * * ? *)"
    "send-reports"                 = "cron(42 18 * * ? *)"
    "send-sales"                   = "cron(49 23 * * ? *)"
    "send-search-index"            = "cron(56 4 * * ? *)"
    "send-sitemaps"                = "cron(3 9 * * ? *)"
    "sync-coupons"                 = "cron(10 14 * * ? *)"
    "sync-daily-digest"            = "cron(17 19 * * ? *)"
    "sync-expired-sessions"        = "cron(24 0 * * ? *)"
    "sync-inventory"               = "cron(31 5 * * ? *)"
    "sync-mail-queue"              = "cron(38 10 * * ? *)"
    "sync-points"                  = "cron(45 15 * * ? *)"
    "sync-reports"                 = "cron(52 20 * * ? *)"
    "sync-sales"                   = "cron(59 1 * * ? *)"
    "sync-search-index"            = "cron(6 6 * * ? *)"
    "sync-sitemaps"                = "cron(13 11 * * ? *)"
  }
}

resource "aws_cloudwatch_event_rule" "batch" {
  for_each            = local.batches
  name                = "monolith-private-batch-${each.key}"
  schedule_expression = each.value
}

resource "aws_cloudwatch_event_target" "batch" {
  for_each = local.batches
  rule     = aws_cloudwatch_event_rule.batch[each.key].name
  arn      = aws_ecs_cluster.this.arn
  role_arn = aws_iam_role.events.arn
  input    = jsonencode({ containerOverrides = [{ name = "app", command = ["bin/cake", each.key] }] })

  ecs_target {
    task_definition_arn = aws_ecs_task_definition.app.arn
    launch_type         = "FARGATE"
    network_configuration {
      subnets = var.subnet_ids
    }
  }

  lifecycle {
    # Deploys move targets to new task definition revisions.
    ignore_changes = [ecs_target[0].task_definition_arn]
  }
}
