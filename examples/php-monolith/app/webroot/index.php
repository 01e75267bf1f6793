<?php
declare(strict_types=1);

require dirname(__DIR__, 2) . '/vendor/autoload.php';

$server = new Cake\Http\Server(new App\Application(dirname(__DIR__) . '/config'));
$server->emit($server->run());
