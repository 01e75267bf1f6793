<?php
declare(strict_types=1);

namespace App\Controller;

use Cake\Controller\Controller;

class ArticlesController extends Controller
{
    public function index(): void
    {
        $this->set('articles', $this->fetchTable('Articles')->find()->limit(20)->all());
    }
}
