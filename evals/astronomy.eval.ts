import { defineSubject } from '../src/suite.js'

defineSubject('astronomy')
