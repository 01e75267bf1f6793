terraform {
  required_version = "~> 1.9"
  backend "s3" {
    bucket = "acme-terraform-state"
    key    = "monolith/pre.tfstate"
    region = "ap-northeast-1"
  }
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.70"
    }
  }
}

provider "aws" {
  region = "ap-northeast-1"
}

variable "subnet_ids" { type = list(string) }
variable "security_group_ids" { type = list(string) }

resource "aws_ecs_cluster" "this" {
  name = "monolith-pre"
}

resource "aws_iam_role" "events" {
  name               = "monolith-pre-events"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "events.amazonaws.com" } }] })
}

resource "aws_ecs_task_definition" "app" {
  family                   = "monolith-pre-app"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 1024
  memory                   = 2048
  container_definitions = jsonencode([{
    name         = "app"
    image        = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/monolith/app:bootstrap"
    essential    = true
    portMappings = [{ containerPort = 80 }]
  }])

  lifecycle {
    # circle-fargate registers new revisions on deploy.
    ignore_changes = [container_definitions]
  }
}

module "app" {
  source = "../modules/ecs-service"

  name                = "monolith-pre-app"
  cluster_arn         = aws_ecs_cluster.this.arn
  cluster_name        = aws_ecs_cluster.this.name
  task_definition_arn = aws_ecs_task_definition.app.arn
  subnet_ids          = var.subnet_ids
  security_group_ids  = var.security_group_ids
  min_count           = 1
  max_count           = 2
}
