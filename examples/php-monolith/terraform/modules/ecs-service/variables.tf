variable "name" { type = string }
variable "cluster_arn" { type = string }
variable "cluster_name" { type = string }
variable "task_definition_arn" { type = string }
variable "subnet_ids" { type = list(string) }
variable "security_group_ids" { type = list(string) }
variable "min_count" {
  type    = number
  default = 3
}
variable "max_count" {
  type    = number
  default = 20
}
