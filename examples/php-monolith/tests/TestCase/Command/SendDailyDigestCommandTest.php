<?php
declare(strict_types=1);

namespace App\Test\TestCase\Command;

use PHPUnit\Framework\TestCase;

class SendDailyDigestCommandTest extends TestCase
{
    public function testCommandExists(): void
    {
        $this->assertTrue(class_exists(\Batch\Command\SendDailyDigestCommand::class));
    }
}
