<?php
declare(strict_types=1);

namespace Batch\Command;

use Cake\Command\Command;
use Cake\Console\Arguments;
use Cake\Console\ConsoleIo;

/** Runs as an ECS scheduled task (an EventBridge rule targeting the app's task definition). */
class PurgeExpiredSessionsCommand extends Command
{
    public function execute(Arguments $args, ConsoleIo $io): int
    {
        $io->out('PurgeExpiredSessions: done');
        return static::CODE_SUCCESS;
    }
}
