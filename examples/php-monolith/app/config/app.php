<?php
return [
    'debug' => filter_var(env('DEBUG', false), FILTER_VALIDATE_BOOLEAN),
    'App' => ['namespace' => 'App', 'encoding' => 'UTF-8'],
];
