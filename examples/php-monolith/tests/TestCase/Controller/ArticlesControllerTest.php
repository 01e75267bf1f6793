<?php
declare(strict_types=1);

namespace App\Test\TestCase\Controller;

use PHPUnit\Framework\TestCase;

class ArticlesControllerTest extends TestCase
{
    public function testIndexListsArticles(): void
    {
        $this->assertTrue(class_exists(\App\Controller\ArticlesController::class));
    }
}
